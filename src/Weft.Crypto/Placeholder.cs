namespace Weft.Crypto;
