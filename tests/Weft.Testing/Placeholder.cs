namespace Weft.Testing;
