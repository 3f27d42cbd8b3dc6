from codeassist.cli import main

main()
