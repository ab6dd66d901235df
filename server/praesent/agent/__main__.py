import typer

from praesent.agent.cli import agent

typer.run(agent)
