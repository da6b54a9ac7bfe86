from golive.cli.main import main

main()
