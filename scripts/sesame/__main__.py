from sesame.main import main

raise SystemExit(main())
