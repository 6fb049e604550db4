namespace Weft.Testing.Tests;
