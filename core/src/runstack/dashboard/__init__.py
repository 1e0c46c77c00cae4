"""The dashboard: server-rendered pages of stacks, components, flavors, runs and artifacts.

Needs runstack's `server` extra (Starlette, Jinja2, uvicorn); nothing here is imported by a
command other than `runstack dashboard` (and the team server that mounts it).
"""
