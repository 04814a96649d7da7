"""The git engine: discovery, status, health, sessions and live watching (no Textual).

Modules, one job each (docs/git-engine.md describes the rules):

* ``runner`` - the only way git is started: hardened, timed out, bounded;
* ``gitconfig``, ``layout``, ``objects`` - reading config files, git directories and
  commit objects in-process;
* ``status`` - porcelain v2 parsing, ``RepoStatus``, reading one or many repos;
* ``health`` - the health score and the ``.coditect``/``.claude`` check;
* ``discovery`` - workspace roots to a tenant/project/repo/submodule tree, registration;
* ``sessions`` - coditect-git-helper compatible sessions with history and audit;
* ``watch`` - an async iterator of per-repo updates from file events;
* ``report`` - summaries, the markdown dashboard, CSV and terminal-safe JSON.

Nothing is imported here, so importing one module stays cheap.
"""
