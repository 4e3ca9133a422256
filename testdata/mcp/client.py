#!/usr/bin/env python3
"""An independent MCP client for `heapscope mcp`: the official MCP Python SDK (PyPI `mcp`)
starts `HEAPSCOPE mcp DUMP` over stdio, lists the tools and calls every one of them, following
the ids the first answers give. Prints one JSON object: {"tools": [names], "calls": {tool:
answer}}, plus "bad_id": the error of a call with an id that is in no dump. Exits non-zero when
a tool it does not know how to call is listed, or a call that should answer fails.

Usage: client.py HEAPSCOPE_BINARY DUMP   (cli/tests/suite/mcp.rs runs it)
"""
import asyncio
import json
import sys

from mcp import Client, StdioServerParameters


def text_of(result):
    """The one text block of a tool result."""
    blocks = [b for b in result.content if getattr(b, "type", None) == "text"]
    if len(blocks) != 1:
        raise SystemExit(f"expected one text block, got {result.content!r}")
    return blocks[0].text


async def run(binary, dump):
    server = StdioServerParameters(command=binary, args=["mcp", dump])
    async with Client(server) as client:
        listed = await client.list_tools()
        tools = [t.name for t in listed.tools]
        calls = {}

        async def ask(name, args):
            r = await client.call_tool(name, args)
            text = text_of(r)
            if r.is_error:
                raise SystemExit(f"{name} {args}: tool error: {text}")
            calls[name] = json.loads(text)
            return calls[name]

        summary = await ask("summary", {})
        top_type = summary["histogram"][0]["type"]
        suspects = await ask("suspects", {"limit": 1})
        ap = suspects["suspects"][0]["accumulation_point"]["id"]
        plan = {
            "paths_to_roots": {"id": ap},
            "instances": {"type": top_type, "limit": 3},
            "dominator_children": {"limit": 5},
            "inspect_object": {"id": ap, "limit": 5},
            "run_query": {"sql": "SELECT type, count FROM types ORDER BY retained DESC", "limit": 5},
            "diff": {"base": dump, "target": dump, "limit": 3},
        }
        for name in tools:
            if name in calls:
                continue
            if name not in plan:
                raise SystemExit(f"client.py does not know how to call the tool {name!r}")
            await ask(name, plan[name])
        bad = await client.call_tool("paths_to_roots", {"id": "0xdeadbeef"})
        calls["bad_id"] = {"is_error": bad.is_error, "error": text_of(bad)}
        print(json.dumps({"tools": tools, "calls": calls}))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    asyncio.run(run(sys.argv[1], sys.argv[2]))
