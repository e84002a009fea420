from antrean.cli import main

raise SystemExit(main())
