"""A plugin module whose import fails (the plugin tests declare it as an entry point)."""

raise ImportError("this plugin needs a module that is not installed")
