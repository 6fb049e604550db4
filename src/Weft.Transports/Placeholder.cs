namespace Weft.Transports;
