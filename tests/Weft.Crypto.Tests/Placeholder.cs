namespace Weft.Crypto.Tests;
