import typer

from praesent.capture.cli import capture

typer.run(capture)
