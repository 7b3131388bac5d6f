from bibkit.cli import main

main()
