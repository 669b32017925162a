"""`python -m gallery_builder` runs the `gallery` command."""
from gallery_builder.cli import main

main()
