from codeassist.launch import main

main()
