from praesent.cli import main

main()
