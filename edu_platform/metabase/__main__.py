import sys

from edu_platform.metabase.provision import main

sys.exit(main())
