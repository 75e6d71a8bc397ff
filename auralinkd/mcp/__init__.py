"""MCP: connections to tool servers (stdio, streamable HTTP), kept-alive sessions, tool calls."""
