// Makes TorchSharp's native shim load on hosts whose libstdc++ predates GCC 13.
//
// libLibTorchSharp.so (TorchSharp 0.107) was linked against GCC 13's libstdc++ and therefore
// requires the version GLIBCXX_3.4.32, but only for one symbol, _ZSt21ios_base_library_initv:
// a link-time anchor that is never called. Debian 12's libstdc++ stops at GLIBCXX_3.4.30, so
// the dynamic loader refuses the library. Two edits to the output copy make it load:
//   1. the GLIBCXX_3.4.32 entry of .gnu.version_r gets VER_FLG_WEAK (a missing weak version is
//      only a warning for ld.so), and
//   2. that symbol's .gnu.version entry is reset to VER_NDX_GLOBAL (what
//      `patchelf --clear-symbol-version` does), so the symbol no longer names the version.
// It is compiled by MSBuild's RoslynCodeTaskFactory against .NET Standard 2.0, hence the plain APIs.
// The patch runs only when no libstdc++ on the host provides GLIBCXX_3.4.32, is idempotent,
// never edits a file in place (it writes a sibling and renames it over the output copy, so a
// hard link into the NuGet cache is never written through) and keeps the file's timestamp.
using System;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class PatchLibTorchSharp : Task
{
    const string MissingVersion = "GLIBCXX_3.4.32";
    const string AnchorSymbol = "_ZSt21ios_base_library_initv";
    const uint ShtDynsym = 11, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
    const ushort VerFlagWeak = 0x2, VerIndexGlobal = 1;

    /// <summary>Folders searched (recursively) for libLibTorchSharp.so.</summary>
    [Required] public string[] Directories { get; set; } = Array.Empty<string>();

    public override bool Execute()
    {
        if (HostHasVersion()) return true;
        foreach (var directory in Directories.Where(Directory.Exists))
        {
            foreach (var path in Directory.EnumerateFiles(directory, "libLibTorchSharp.so", SearchOption.AllDirectories))
            {
                try
                {
                    if (Patch(path)) Log.LogMessage(MessageImportance.High, $"Patched {path}: {MissingVersion} marked weak for {AnchorSymbol}.");
                }
                catch (Exception error) when (error is IOException or InvalidDataException or UnauthorizedAccessException)
                {
                    Log.LogWarning($"Could not patch {path}: {error.Message}");
                }
            }
        }
        return !Log.HasLoggedErrors;
    }

    static bool HostHasVersion()
    {
        string[] folders = { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib",
                             "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu" };
        var needle = Encoding.ASCII.GetBytes(MissingVersion + "\0");
        return folders.Select(folder => Path.Combine(folder, "libstdc++.so.6"))
                      .Where(File.Exists)
                      .Any(path => IndexOf(File.ReadAllBytes(path), needle) >= 0);
    }

    /// <summary>Returns true when the file was changed, false when it already loads.</summary>
    static bool Patch(string path)
    {
        var elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("not a 64-bit little-endian ELF file");

        ulong sectionTable = U64(elf, 0x28);
        int sectionSize = U16(elf, 0x3A), sectionCount = U16(elf, 0x3C);
        int Section(uint type)
        {
            for (int i = 0; i < sectionCount; i++)
                if (U32(elf, (int)sectionTable + i * sectionSize + 4) == type) return (int)sectionTable + i * sectionSize;
            return -1;
        }
        int Offset(int header) => (int)U64(elf, header + 0x18);
        int Link(int header) => (int)U32(elf, header + 0x28);
        int HeaderAt(int index) => (int)sectionTable + index * sectionSize;

        int verneed = Section(ShtGnuVerneed), versym = Section(ShtGnuVersym), dynsym = Section(ShtDynsym);
        if (verneed < 0 || versym < 0 || dynsym < 0) return false;

        // .gnu.version_r: a chain of Verneed records, each with a chain of Vernaux records.
        int versionStrings = Offset(HeaderAt(Link(verneed)));
        int needCount = (int)U32(elf, verneed + 0x2C);
        int versionIndex = -1;
        bool changed = false;
        for (int need = Offset(verneed), n = 0; n < needCount; n++)
        {
            int auxCount = U16(elf, need + 2);
            for (int aux = need + (int)U32(elf, need + 8), a = 0; a < auxCount; a++)
            {
                if (CString(elf, versionStrings + (int)U32(elf, aux + 8)) == MissingVersion)
                {
                    versionIndex = U16(elf, aux + 6) & 0x7fff;
                    ushort flags = U16(elf, aux + 4);
                    if ((flags & VerFlagWeak) == 0) { Put16(elf, aux + 4, (ushort)(flags | VerFlagWeak)); changed = true; }
                }
                aux += (int)U32(elf, aux + 12);
            }
            need += (int)U32(elf, need + 12);
        }
        if (versionIndex < 0) return false;

        // .gnu.version: one 16-bit version index per .dynsym entry.
        int symbolStrings = Offset(HeaderAt(Link(dynsym)));
        int symbolCount = (int)(U64(elf, dynsym + 0x20) / U64(elf, dynsym + 0x38));
        for (int s = 0; s < symbolCount; s++)
        {
            int entry = Offset(dynsym) + s * 24, version = Offset(versym) + s * 2;
            if ((U16(elf, version) & 0x7fff) == versionIndex && CString(elf, symbolStrings + (int)U32(elf, entry)) == AnchorSymbol)
            {
                Put16(elf, version, VerIndexGlobal);
                changed = true;
            }
        }
        if (!changed) return false;

        var stamp = File.GetLastWriteTimeUtc(path);
        var temporary = path + ".patching";
        File.WriteAllBytes(temporary, elf);
        File.SetLastWriteTimeUtc(temporary, stamp);
        File.Replace(temporary, path, null); // a rename: atomic, and it breaks any hard link
        return true;
    }

    static ushort U16(byte[] b, int at) => BitConverter.ToUInt16(b, at);
    static uint U32(byte[] b, int at) => BitConverter.ToUInt32(b, at);
    static ulong U64(byte[] b, int at) => BitConverter.ToUInt64(b, at);
    static void Put16(byte[] b, int at, ushort value) { b[at] = (byte)value; b[at + 1] = (byte)(value >> 8); }
    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }
    static string CString(byte[] b, int at) => Encoding.ASCII.GetString(b, at, Array.IndexOf(b, (byte)0, at) - at);
}
