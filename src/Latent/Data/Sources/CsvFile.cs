using System.Text;
using nietras.SeparatedValues;

namespace Latent.Data.Sources;

/// <summary>
/// Comma-separated files as rows of cells, parsed by Sep (RFC 4180 quoting: a field in double quotes
/// may hold commas, line breaks and doubled quotes; LF, CRLF or CR line ends; a UTF-8 byte-order mark
/// is skipped). Blank lines are skipped, every row carries the number of the line it starts on, and
/// a file that cannot be read or decoded is a one-line <see cref="UserInputException"/>.
/// </summary>
internal static class CsvFile
{
    /// <summary>Receives one non-blank row and the 1-based number of the line it starts on.</summary>
    public delegate void RowHandler(SepReader.Row row, int line);

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Calls <paramref name="handle"/> for every non-blank row of the file at <paramref name="path"/>,
    /// which the caller has checked exists; <paramref name="fix"/> ends the messages of read errors.
    /// </summary>
    public static void ForEachRow(string path, string fix, RowHandler handle)
    {
        int line = 1;
        try
        {
            using var text = new StreamReader(path, StrictUtf8, detectEncodingFromByteOrderMarks: true);
            using var reader = Sep.New(',').Reader(options => options with
            {
                HasHeader = false, Unescape = true, Trim = SepTrim.All, DisableColCountCheck = true,
                CultureInfo = System.Globalization.CultureInfo.InvariantCulture,
            }).From(text);
            foreach (var row in reader)
            {
                // Sep's LineNumberToExcl is the line after the row; the row starts where the previous one ended.
                int start = line;
                line = row.LineNumberToExcl;
                if (!IsBlank(row)) handle(row, start);
            }
        }
        catch (Exception error) when (UserPaths.IsFileSystemError(error))
        {
            throw UserPaths.CannotRead(path, error, fix);
        }
        catch (DecoderFallbackException)
        {
            throw new UserInputException($"'{path}' is not UTF-8 text (near line {line}); convert it (e.g. iconv -t UTF-8) and pass it again");
        }
        catch (NotSupportedException)
        {
            // Sep's limit on one row (16 Mi characters): in practice a quote that is never closed.
            throw new UserInputException($"'{path}' has a row from line {line} on that never ends (a quote opened and not closed?); close the quote and pass it again");
        }
    }

    /// <summary>The cell as a string, without surrounding white space (and without a stray byte-order mark).</summary>
    public static string Text(SepReader.Col col) => col.Span.Trim().TrimStart('\uFEFF').ToString();

    static bool IsBlank(SepReader.Row row) => row.ColCount <= 1 && row.Span.IsWhiteSpace();
}
