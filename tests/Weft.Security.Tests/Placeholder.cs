namespace Weft.Security.Tests;
