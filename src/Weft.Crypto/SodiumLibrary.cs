using System.Reflection;
using System.Runtime.InteropServices;
using Weft.Crypto.Sodium;

namespace Weft.Crypto;

/// <summary>
/// Loads libsodium once per process and runs <c>sodium_init</c>. Every wrapper in this assembly calls
/// <see cref="EnsureInitialized"/> itself; applications may call it at start-up to fail early with a clear
/// message when the library is missing.
/// </summary>
/// <remarks>
/// The library is the file named by the <c>WEFT_LIBSODIUM</c> environment variable when it is set; otherwise the
/// first of <c>libsodium.so.23</c> (Debian/Ubuntu package <c>libsodium23</c>), other common sonames and the
/// macOS/Windows names that the system loader finds.
/// </remarks>
public static class SodiumLibrary
{
    /// <summary>Name of the environment variable that may hold an explicit path to the libsodium shared library.</summary>
    public const string PathEnvironmentVariable = "WEFT_LIBSODIUM";

    private const string InstallHint =
        "libsodium is not installed or could not be loaded (looked for libsodium.so.23 and similar names). Install it: " +
        "'apt-get install libsodium23' (Debian/Ubuntu), 'dnf install libsodium' (Fedora), 'brew install libsodium' " +
        "(macOS), or set " + PathEnvironmentVariable + " to the full path of the shared library.";

    private static readonly string[] s_candidates =
    [
        "libsodium.so.23",
        "libsodium.so.26",
        "libsodium.so",
        "libsodium.26.dylib",
        "libsodium.23.dylib",
        "libsodium.dylib",
        "libsodium.dll",
    ];

    private static readonly Lock s_lock = new();
    private static volatile bool s_initialized;
    private static nint s_handle;
    private static string? s_failure;

    /// <summary>Loads the library and runs <c>sodium_init</c> unless already done.</summary>
    /// <exception cref="CryptoException">libsodium is not installed or failed to initialise.</exception>
    public static void EnsureInitialized()
    {
        if (!s_initialized)
        {
            InitializeSlow();
        }
    }

    /// <summary>The version string of the loaded libsodium, for example <c>1.0.18</c>.</summary>
    /// <exception cref="CryptoException">libsodium is not installed or failed to initialise.</exception>
    public static string Version
    {
        get
        {
            EnsureInitialized();
            return Marshal.PtrToStringUTF8(LibSodium.sodium_version_string()) ?? string.Empty;
        }
    }

    /// <summary>Overwrites <paramref name="buffer"/> with zeros in a way the compiler cannot elide (<c>sodium_memzero</c>).</summary>
    /// <param name="buffer">The memory to wipe.</param>
    public static unsafe void MemZero(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        EnsureInitialized();
        fixed (byte* p = buffer)
        {
            LibSodium.sodium_memzero(p, (nuint)buffer.Length);
        }
    }

    private static void InitializeSlow()
    {
        lock (s_lock)
        {
            if (s_initialized)
            {
                return;
            }

            if (s_failure is not null)
            {
                throw new CryptoException(s_failure);
            }

            nint handle = Load(Environment.GetEnvironmentVariable(PathEnvironmentVariable), s_candidates, out string? failure);
            if (handle == 0)
            {
                s_failure = failure;
                throw new CryptoException(failure!);
            }

            s_handle = handle;
            NativeLibrary.SetDllImportResolver(typeof(SodiumLibrary).Assembly, Resolve);

            if (LibSodium.sodium_init() < 0)
            {
                s_failure = "libsodium was loaded but sodium_init() failed.";
                throw new CryptoException(s_failure);
            }

            s_initialized = true;
        }
    }

    /// <summary>Finds libsodium: the explicit path if one is given, else the first candidate name that loads.</summary>
    /// <param name="explicitPath">The value of <see cref="PathEnvironmentVariable"/>, if any.</param>
    /// <param name="candidates">File names to try in order.</param>
    /// <param name="failure">Why nothing was loaded, in words a user can act on.</param>
    /// <returns>The library handle, or 0.</returns>
    internal static nint Load(string? explicitPath, IEnumerable<string> candidates, out string? failure)
    {
        failure = null;
        if (!string.IsNullOrEmpty(explicitPath))
        {
            if (NativeLibrary.TryLoad(explicitPath, out nint fromPath))
            {
                return fromPath;
            }

            failure = $"libsodium could not be loaded from '{explicitPath}' (set by {PathEnvironmentVariable}). {InstallHint}";
            return 0;
        }

        foreach (string candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out nint handle))
            {
                return handle;
            }
        }

        failure = InstallHint;
        return 0;
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == LibSodium.LibraryName ? s_handle : 0;
}
