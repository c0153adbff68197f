"""Running stages: the plan, the ready-queue scheduler, worker processes, and the commit of results."""
