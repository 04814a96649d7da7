"""Custom commands: the user's own commands over repos (k9s plugins, lazygit customCommands).

``spec.py`` is the ``commands:`` section of the config, ``expand.py`` turns a command and
one repo into an argv that no repo name, path or branch can inject into, and ``run.py``
authorizes, runs and audits one run. docs/user-guide.md ("Custom commands") is the
user's description.
"""
