"""`make bench`: where the time of a hook call goes, in-process by stage and over HTTP against a floor."""
