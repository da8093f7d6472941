"""The dashboard's HTTP edge: security headers, websocket origins, closed endpoints, sheet links."""
