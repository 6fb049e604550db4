namespace Weft.Transports.Tests;
