from bibkit.cli import run

run()
