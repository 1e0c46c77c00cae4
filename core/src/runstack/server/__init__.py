"""The team server: the store behind an HTTP JSON API (`runstack server start`).

Needs the `server` extra (FastAPI, uvicorn); only `runstack server` commands import it.
"""
