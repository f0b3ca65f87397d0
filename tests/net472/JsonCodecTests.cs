using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using PhotoUpdatePolicy.Json;


namespace PhotoUpdatePolicy.Net472Tests
{
    /// <summary>
    /// The .NET Framework JSON codec (JavaScriptSerializer): the documents that cross the C ABI
    /// parse into the same neutral tree as the .NET 6 codec builds, and serialize back.
    /// </summary>
    public class JsonCodecTests
    {
        [Fact]
        public void TheNet472BuildUsesTheJavaScriptSerializerCodec()
        {
            Assert.IsType<JavaScriptSerializerCodec>(JsonCodec.Instance);
        }

        [Fact]
        public void ParsesAPolicyDocumentIntoTheNeutralTree()
        {
            const string json = "{\"source\":\"cloud\",\"allowedRoles\":[{\"id\":\"62e90394-69f5-4237-9190-012177145e10\",\"name\":\"Global Administrator\"}],"
                + "\"count\":3,\"big\":9007199254740993,\"ratio\":0.25,\"none\":null,\"flag\":false,\"nested\":{\"a\":[]}}";
            var tree = Assert.IsType<Dictionary<string, object?>>(JsonCodec.Instance.Parse(json));
            Assert.Equal(new[] { "source", "allowedRoles", "count", "big", "ratio", "none", "flag", "nested" }, tree.Keys);
            Assert.Equal("cloud", tree["source"]);
            var roles = Assert.IsType<List<object?>>(tree["allowedRoles"]);
            var role = Assert.IsType<Dictionary<string, object?>>(Assert.Single(roles));
            Assert.Equal("Global Administrator", role["name"]);
            // Integers are long (JavaScriptSerializer gives int or decimal), fractions double.
            Assert.Equal(3L, Assert.IsType<long>(tree["count"]));
            Assert.Equal(9007199254740993L, Assert.IsType<long>(tree["big"]));
            Assert.Equal(0.25, Assert.IsType<double>(tree["ratio"]));
            Assert.Null(tree["none"]);
            Assert.Equal(false, tree["flag"]);
            var nested = Assert.IsType<Dictionary<string, object?>>(tree["nested"]);
            Assert.Empty(Assert.IsType<List<object?>>(nested["a"]));
        }

        [Fact]
        public void KeepsNonAsciiTextAndEscapes()
        {
            var tree = (Dictionary<string, object?>)JsonCodec.Instance.Parse("{\"name\":\"Zo\\u00eb \\\"\u00c5sa\\\" \\ud83d\\ude00 \u65e5\u672c\\n\"}")!;
            Assert.Equal("Zo\u00eb \"\u00c5sa\" \ud83d\ude00 \u65e5\u672c\n", tree["name"]);
        }

        [Fact]
        public void SerializesWhatTheCmdletsSendAndReadsItBack()
        {
            var change = new OrderedDictionary
            {
                ["source"] = "onPremises",
                ["allowedRoles"] = new[] { "People Administrator", "Zo\u00eb's role" },
                ["limits"] = new Dictionary<string, object?> { ["timeoutMs"] = 30000L, ["retries"] = 3, ["budget"] = 1.5 },
                ["dryRun"] = true,
                ["none"] = null,
            };
            string json = JsonCodec.Instance.Serialize(change);
            var back = (Dictionary<string, object?>)JsonCodec.Instance.Parse(json)!;
            Assert.Equal("onPremises", back["source"]);
            Assert.Equal(new object?[] { "People Administrator", "Zo\u00eb's role" }, ((List<object?>)back["allowedRoles"]!).ToArray());
            var limits = (Dictionary<string, object?>)back["limits"]!;
            Assert.Equal(30000L, limits["timeoutMs"]);
            Assert.Equal(3L, limits["retries"]);
            Assert.Equal(1.5, limits["budget"]);
            Assert.Equal(true, back["dryRun"]);
            Assert.True(back.ContainsKey("none"));
            Assert.Null(back["none"]);
        }

        [Fact]
        public void RefusesValuesItCannotWriteNamingTheType()
        {
            var ex = Assert.Throws<ArgumentException>(() => JsonCodec.Instance.Serialize(new Dictionary<string, object?> { ["when"] = new Uri("https://example.com") }));
            Assert.Contains("System.Uri", ex.Message);
        }

        [Fact]
        public void TurnsTreesIntoWhatPowerShellShows()
        {
            object? shown = JsonTree.ToPowerShell(JsonCodec.Instance.Parse("{\"Source\":\"cloud\",\"roles\":[\"a\",{\"b\":1}]}"));
            var dict = Assert.IsType<OrderedDictionary>(shown);
            Assert.Equal("cloud", dict["source"]);   // case-insensitive keys, as PowerShell reads them
            var items = Assert.IsType<object?[]>(dict["roles"]);
            Assert.Equal("a", items[0]);
            Assert.Equal(1L, ((IDictionary)items[1]!)["b"]);
        }
    }
}
