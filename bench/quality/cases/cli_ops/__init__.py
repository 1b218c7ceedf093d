"""Helpers shared by the operations CLIs: shell tools (git, rsync, ssh, docker), notifications, and the
reporting-database writes of the import/export jobs."""
