"""`python -m pivot` runs the command-line interface."""

from pivot.cli import main

if __name__ == "__main__":
    main()
