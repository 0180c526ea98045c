"""Print the scorecard JSON Schema (for editors); `make schema` writes tierline/scorecard/scorecard.schema.json."""

from __future__ import annotations

import json

from tierline.scorecard.format import scorecard_json_schema


def render() -> str:
    return json.dumps(scorecard_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
