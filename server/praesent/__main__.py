from praesent.launch import main

main()
