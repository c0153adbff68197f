"""`pivot schema`: the JSON Schema of pivot.yaml (or of .pivot/config.yaml), for editors."""

from __future__ import annotations

import json

import click


@click.command()
@click.option(
    "--config", "of_config", is_flag=True, help="The schema of .pivot/config.yaml instead of pivot.yaml."
)
def schema(of_config: bool) -> None:
    """Print the JSON Schema of pivot.yaml, for editor validation.

    \b
    pivot schema > pivot.schema.json
    then, with the YAML language server (VS Code's YAML extension and others), put
    # yaml-language-server: $schema=pivot.schema.json
    as the first line of pivot.yaml."""
    from pivot.declare import editor_schema

    click.echo(json.dumps(editor_schema.schema("config" if of_config else "pipeline"), indent=2))
