from flywayx.cli import main

main()
