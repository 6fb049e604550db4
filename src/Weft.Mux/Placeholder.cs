namespace Weft.Mux;
