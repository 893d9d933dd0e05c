"""`python -m council.node ...`: the member commands without the `keycouncil` entry point."""

from cli.member import member
from cli.run import run_group

if __name__ == "__main__":
    run_group(member)
