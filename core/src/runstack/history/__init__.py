"""What ran and what it made, read back: runs as Python objects, artifact files and lineage.

The layer under the client (`client.runs`, `client.artifacts`) and over the store:
pipelines write through it, and nothing here knows how a pipeline is run.
"""
