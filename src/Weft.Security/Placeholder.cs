namespace Weft.Security;
