"""Entry point of ProcessSpawner children: ``python -m libpyacq.core.rpc.bootstrap [name]``
(PROTOCOL §5.2; the parent writes the configuration to stdin)."""

from ...spawner import bootstrap_child

if __name__ == "__main__":
    bootstrap_child()
