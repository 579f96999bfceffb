"""A portal process of its own for the memory row: `python -m benchmarks.memory_driver <workspace ids>`.

Started with PORTAL_* pointing at a sandbox, it opens the fleet overview (cold, then warm), searches
workspaces and opens the workspace page of each id given, all under AppTest as a live session would,
then prints one JSON line with its resident memory (VmRSS) and peak (VmHWM) from /proc.
"""

from __future__ import annotations

import json
import sys

from benchmarks.harness import rss_mb


def main(workspace_ids: list[str]) -> int:
    bare, _ = rss_mb()
    from benchmarks.apptest import check, open_screen, portal_environment

    with portal_environment({}):
        imported, _ = rss_mb()
        fleet = open_screen("lead", "fleet")
        fleet.run()
        check(fleet, "fleet")
        workspace = open_screen("oncall", "workspace", query={"q": "blue"})
        for workspace_id in workspace_ids:
            workspace.query_params.pop("q", None)
            workspace.query_params["workspace"] = workspace_id
            workspace.run()
            check(workspace, "workspace")
        current, peak = rss_mb()
    print(json.dumps({"bare_python_mb": bare, "after_imports_mb": imported, "rss_mb": current, "peak_mb": peak,
                      "workspace_pages": len(workspace_ids)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
