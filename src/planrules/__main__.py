from planrules.cli import main

main()
