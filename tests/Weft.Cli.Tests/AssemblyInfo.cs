using System.Runtime.Versioning;

// The CLI tests use unix sockets, file modes and POSIX signals: the tool's operator platform.
[assembly: UnsupportedOSPlatform("windows")]
