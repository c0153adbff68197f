"""Running stages: the ready-queue scheduler, the process pool and its workers, the Dask cluster
session, and the commit of results (outputs hashed and cached, lock written last). Never imports
the remote or the reports; the decision of what runs comes in from `pivot.decide`."""
