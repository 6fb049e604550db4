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
/// The library is looked for, in order: the path in the <c>WEFT_LIBSODIUM</c> environment variable, then
/// <c>libsodium.so.23</c> (Debian/Ubuntu package <c>libsodium23</c>), other common sonames, then the default
/// probing of the runtime (which also finds a NuGet-packaged <c>runtimes/*/native</c> copy).
/// </remarks>
public static class SodiumLibrary
{
    /// <summary>Name of the environment variable that may hold an explicit path to the libsodium shared library.</summary>
    public const string PathEnvironmentVariable = "WEFT_LIBSODIUM";

    private const string InstallHint =
        "libsodium could not be loaded. Install it: 'apt-get install libsodium23' (Debian/Ubuntu), " +
        "'dnf install libsodium' (Fedora), 'brew install libsodium' (macOS), or set " + PathEnvironmentVariable +
        " to the full path of the shared library.";

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

            nint handle = Load();
            if (handle == 0)
            {
                s_failure = InstallHint;
                throw new CryptoException(s_failure);
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

    private static nint Load()
    {
        string? explicitPath = Environment.GetEnvironmentVariable(PathEnvironmentVariable);
        if (!string.IsNullOrEmpty(explicitPath) && NativeLibrary.TryLoad(explicitPath, out nint handle))
        {
            return handle;
        }

        foreach (string candidate in s_candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out handle))
            {
                return handle;
            }
        }

        return NativeLibrary.TryLoad(LibSodium.LibraryName, typeof(SodiumLibrary).Assembly, null, out handle) ? handle : 0;
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == LibSodium.LibraryName ? s_handle : 0;
}
