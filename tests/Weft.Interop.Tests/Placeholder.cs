namespace Weft.Interop.Tests;
