using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;

namespace PhotoUpdatePolicy.Net472Tests
{
    /// <summary>Marks a test method (public, no parameters).</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class FactAttribute : Attribute
    {
    }

    /// <summary>
    /// A test class taking one <typeparamref name="T"/> in its constructor: one instance of it is
    /// made for all the class's tests and disposed after them.
    /// </summary>
    public interface IClassFixture<T>
        where T : class
    {
    }

    /// <summary>
    /// Runs every [Fact] of this assembly, one new instance of its class per test (disposed after
    /// it), and prints one line per test and "net472: N passed, N failed" last. Arguments: optional
    /// substrings of "Class.Method" to run only matching tests. Exit code 0 only when all passed.
    /// </summary>
    public static class TestRunner
    {
        public static int Main(string[] args)
        {
            Console.WriteLine($"Runtime: {(Type.GetType("Mono.Runtime") != null ? "Mono" : ".NET Framework")} {Environment.Version}, {Environment.OSVersion}, {IntPtr.Size * 8}-bit");
            Console.WriteLine($"Module assembly: {typeof(PhotoUpdatePolicy.Native.NativeLibraryLoader).Assembly.Location}");
            int passed = 0, failed = 0;
            foreach (Type type in typeof(TestRunner).Assembly.GetTypes().Where(t => t.IsClass && t.IsPublic).OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                MethodInfo[] tests = type.GetMethods(BindingFlags.Public | BindingFlags.Instance)
                    .Where(m => m.GetCustomAttributes(typeof(FactAttribute), false).Length > 0)
                    .Where(m => args.Length == 0 || args.Any(a => (type.Name + "." + m.Name).IndexOf(a, StringComparison.OrdinalIgnoreCase) >= 0))
                    .OrderBy(m => m.MetadataToken)
                    .ToArray();
                if (tests.Length == 0)
                {
                    continue;
                }

                Console.WriteLine(type.Name);
                object? fixture = null;
                try
                {
                    Type? fixtureInterface = type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IClassFixture<>));
                    if (fixtureInterface != null)
                    {
                        fixture = Activator.CreateInstance(fixtureInterface.GetGenericArguments()[0]);
                    }
                }
                catch (Exception ex)
                {
                    foreach (MethodInfo test in tests)
                    {
                        Console.WriteLine($"  [-] {test.Name}: the class fixture failed: {Unwrap(ex)}");
                        failed++;
                    }

                    continue;
                }

                try
                {
                    foreach (MethodInfo test in tests)
                    {
                        var watch = Stopwatch.StartNew();
                        try
                        {
                            object instance = fixture != null ? Activator.CreateInstance(type, fixture)! : Activator.CreateInstance(type)!;
                            try
                            {
                                test.Invoke(instance, null);
                            }
                            finally
                            {
                                (instance as IDisposable)?.Dispose();
                            }

                            Console.WriteLine($"  [+] {test.Name} ({watch.ElapsedMilliseconds} ms)");
                            passed++;
                        }
                        catch (Exception ex)
                        {
                            Console.WriteLine($"  [-] {test.Name} ({watch.ElapsedMilliseconds} ms): {Unwrap(ex)}");
                            failed++;
                        }
                    }
                }
                finally
                {
                    (fixture as IDisposable)?.Dispose();
                }
            }

            Console.WriteLine($"net472: {passed} passed, {failed} failed");
            return failed == 0 && passed > 0 ? 0 : 1;
        }

        private static string Unwrap(Exception ex)
        {
            while (ex is TargetInvocationException && ex.InnerException != null)
            {
                ex = ex.InnerException;
            }

            return ex is AssertException ? ex.Message + Environment.NewLine + ex.StackTrace : ex.ToString();
        }
    }

    /// <summary>A failed check.</summary>
    public sealed class AssertException : Exception
    {
        public AssertException(string message)
            : base(message)
        {
        }
    }

    /// <summary>The checks the tests use, named as in xunit so the tests read familiarly.</summary>
    public static class Assert
    {
        public static void True(bool condition, string? message = null)
        {
            if (!condition)
            {
                throw new AssertException(message ?? "Expected true, got false.");
            }
        }

        public static void False(bool condition, string? message = null) => True(!condition, message ?? "Expected false, got true.");

        public static void Null(object? value) => True(value == null, $"Expected null, got {Show(value)}.");

        public static void Equal<T>(T expected, T actual)
        {
            if (!Same(expected, actual))
            {
                throw new AssertException($"Expected {Show(expected)}, got {Show(actual)}.");
            }
        }

        public static void Equal<T>(IEnumerable<T> expected, IEnumerable<T> actual) => Equal<object>(expected, actual);

        public static void NotEqual<T>(T notExpected, T actual) => True(!Same(notExpected, actual), $"Expected anything but {Show(notExpected)}.");

        public static void Contains(string expected, string? actual) =>
            True(actual != null && actual.IndexOf(expected, StringComparison.Ordinal) >= 0, $"Expected {Show(actual)} to contain {Show(expected)}.");

        public static void DoesNotContain(string unexpected, string? actual) =>
            True(actual == null || actual.IndexOf(unexpected, StringComparison.Ordinal) < 0, $"Expected {Show(actual)} not to contain {Show(unexpected)}.");

        public static void StartsWith(string expected, string? actual) =>
            True(actual != null && actual.StartsWith(expected, StringComparison.Ordinal), $"Expected {Show(actual)} to start with {Show(expected)}.");

        public static void Contains<T>(T expected, IEnumerable<T> collection) =>
            True(collection.Any(item => Same(expected, item)), $"Expected {Show(collection)} to contain {Show(expected)}.");

        public static void Contains<T>(IEnumerable<T> collection, Func<T, bool> match) =>
            True(collection.Any(match), $"No item of {Show(collection)} matches.");

        public static void DoesNotContain<T>(IEnumerable<T> collection, Func<T, bool> match)
        {
            foreach (T item in collection)
            {
                True(!match(item), $"Expected no item to match, but {Show(item)} does.");
            }
        }

        public static void All<T>(IEnumerable<T> collection, Action<T> check)
        {
            foreach (T item in collection)
            {
                check(item);
            }
        }

        public static void Empty(IEnumerable collection) => True(!collection.Cast<object>().Any(), $"Expected empty, got {Show(collection)}.");

        public static T Single<T>(IEnumerable<T> collection)
        {
            T[] items = collection.ToArray();
            True(items.Length == 1, $"Expected one item, got {items.Length}: {Show(items)}.");
            return items[0];
        }

        public static object? Single(IEnumerable collection) => Single(collection.Cast<object?>());

        public static T IsType<T>(object? value)
        {
            True(value != null && value.GetType() == typeof(T), $"Expected a {typeof(T).FullName}, got {(value == null ? "null" : value.GetType().FullName)}.");
            return (T)value!;
        }

        public static T Throws<T>(Action action)
            where T : Exception
        {
            Exception? thrown = Catch(action);
            True(thrown != null && thrown.GetType() == typeof(T), $"Expected {typeof(T).FullName}, got {(thrown == null ? "no exception" : thrown.ToString())}.");
            return (T)thrown!;
        }

        public static T ThrowsAny<T>(Action action)
            where T : Exception
        {
            Exception? thrown = Catch(action);
            True(thrown is T, $"Expected {typeof(T).FullName} or a subclass, got {(thrown == null ? "no exception" : thrown.ToString())}.");
            return (T)thrown!;
        }

        private static Exception? Catch(Action action)
        {
            try
            {
                action();
                return null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        }

        private static bool Same(object? a, object? b)
        {
            if (a is IEnumerable x && b is IEnumerable y && !(a is string) && !(b is string))
            {
                object?[] left = x.Cast<object?>().ToArray();
                object?[] right = y.Cast<object?>().ToArray();
                return left.Length == right.Length && left.Zip(right, Same).All(same => same);
            }

            return Equals(a, b);
        }

        private static string Show(object? value)
        {
            switch (value)
            {
                case null:
                    return "null";
                case string s:
                    return "\"" + s + "\"";
                case IEnumerable items:
                    return "[" + string.Join(", ", items.Cast<object?>().Take(20).Select(Show)) + "]";
                default:
                    return $"{value} ({value.GetType().Name})";
            }
        }
    }
}
