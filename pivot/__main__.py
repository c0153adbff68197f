"""`python -m pivot` runs the pivot program."""

from pivot.program import main

if __name__ == "__main__":
    main()
