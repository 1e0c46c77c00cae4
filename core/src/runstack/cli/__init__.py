"""The `runstack` command line: a thin skin over `runstack.Client`."""
