"""runstack's version, in a module of its own: modules inside the package name it from here,
since importing the package's front door (`runstack`) from inside would make a cycle."""

__version__ = "0.1.0"
