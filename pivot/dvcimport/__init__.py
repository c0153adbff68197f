"""`pivot import-dvc`: a DVC project's dvc.yaml read into pivot.yaml (`dvcyaml`, `dvcstage`,
`toplevel`), its .dvc files into .pvt tracking with the bytes of DVC's cache (`dvcfiles`), and
every key that has no pivot equivalent listed with the reason (`notes`). May import `pivot.base`,
`pivot.declare`, `pivot.worktree` and below."""
